# terraform query (Terraform >= 1.14): the failover IPs and blocks routed to a load balancer (at most 50).
list "ovhiplb_failover_ip_attachment" "routed" {
  provider = ovhiplb
  limit    = 50

  config {
    service_name = "loadbalancer-0123abcd"
  }
}
