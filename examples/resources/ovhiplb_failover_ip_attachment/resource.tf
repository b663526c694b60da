# Route a failover IP to the load balancer: the IP moves there (POST /ip/{ip}/move) and the
# resource waits for the move task. An IP already routed to this load balancer is adopted as is.
resource "ovhiplb_failover_ip_attachment" "public" {
  service_name = "loadbalancer-0123abcd"
  ip           = "203.0.113.7"
}

# A whole block works too.
resource "ovhiplb_failover_ip_attachment" "block" {
  service_name = "loadbalancer-0123abcd"
  ip           = "203.0.113.16/29"

  timeouts {
    create = "20m"
  }
}
