# terraform query (Terraform >= 1.14): the UDP frontend named "dns", with its whole state
# (`list.ovhiplb_udp_frontend.dns.data[0].state`).
list "ovhiplb_udp_frontend" "dns" {
  provider         = ovhiplb
  include_resource = true

  config {
    service_name = "loadbalancer-0123abcd"
    display_name = "dns"
  }
}
