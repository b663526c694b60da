data "ovhiplb_load_balancer" "web" {
  service_name = "loadbalancer-0123abcd"
}

# e.g. a frontend in each zone of the load balancer.
resource "ovhiplb_tcp_frontend" "per_zone" {
  for_each = toset(data.ovhiplb_load_balancer.web.zones)

  service_name    = data.ovhiplb_load_balancer.web.service_name
  port            = "443"
  zone            = each.value
  default_farm_id = 12
}
