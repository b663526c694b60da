resource "ovhiplb_failover_ip_attachment" "tls" {
  service_name = "loadbalancer-0123abcd"
  ip           = "203.0.113.8"
}

# TLS passthrough on ports 443 and 8443 of a dedicated failover IP; one network is refused.
resource "ovhiplb_tcp_frontend" "tls" {
  service_name    = ovhiplb_failover_ip_attachment.tls.service_name
  display_name    = "tls-passthrough"
  port            = "443,8443"
  zone            = "gra"
  dedicated_ipfo  = [ovhiplb_failover_ip_attachment.tls.ip]
  default_farm_id = 12
  denied_source   = ["192.0.2.0/24"]
}
