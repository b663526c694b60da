resource "ovhiplb_failover_ip_attachment" "web" {
  service_name = "loadbalancer-0123abcd"
  ip           = "203.0.113.7"
}

# HTTPS on a dedicated failover IP, open to two networks only, with a default farm.
resource "ovhiplb_http_frontend" "web" {
  service_name    = ovhiplb_failover_ip_attachment.web.service_name
  display_name    = "web"
  port            = "443"
  zone            = "all"
  dedicated_ipfo  = [ovhiplb_failover_ip_attachment.web.ip]
  default_farm_id = 11
  ssl             = true
  hsts            = true
  allowed_source  = ["198.51.100.0/24", "192.0.2.10"]
  http_header     = ["X-Forwarded-Proto: https"]
}

# Plain HTTP on the same IP, redirecting every request to HTTPS.
resource "ovhiplb_http_frontend" "redirect" {
  service_name      = ovhiplb_failover_ip_attachment.web.service_name
  display_name      = "http-to-https"
  port              = "80"
  zone              = "all"
  dedicated_ipfo    = [ovhiplb_failover_ip_attachment.web.ip]
  redirect_location = "https://www.example.com"
}
