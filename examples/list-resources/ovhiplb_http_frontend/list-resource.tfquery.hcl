# terraform query (Terraform >= 1.14): the HTTP frontends of a load balancer in zone gra.
# `terraform query -generate-config-out=generated.tf` writes an import block and a resource block for each.
list "ovhiplb_http_frontend" "gra" {
  provider = ovhiplb

  config {
    service_name = "loadbalancer-0123abcd"
    zone         = "gra"
  }
}
