data "ovhiplb_failover_ips" "web" {
  service_name = "loadbalancer-0123abcd"
}

output "routed_failover_ips" {
  value = data.ovhiplb_failover_ips.web.ips
}
