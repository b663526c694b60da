# terraform query (Terraform >= 1.14): the TCP frontends of a load balancer listening on port 5432.
list "ovhiplb_tcp_frontend" "postgres" {
  provider = ovhiplb

  config {
    service_name = "loadbalancer-0123abcd"
    port         = "5432"
  }
}
