# DNS on every IP of the load balancer.
resource "ovhiplb_udp_frontend" "dns" {
  service_name    = "loadbalancer-0123abcd"
  display_name    = "dns"
  port            = "53"
  zone            = "all"
  default_farm_id = 13
}

# A range of ports on a dedicated failover IP, created disabled.
resource "ovhiplb_udp_frontend" "game" {
  service_name    = "loadbalancer-0123abcd"
  display_name    = "game-servers"
  port            = "27015-27030"
  zone            = "rbx"
  dedicated_ipfo  = ["203.0.113.9/32"]
  default_farm_id = 14
  disabled        = true
}
