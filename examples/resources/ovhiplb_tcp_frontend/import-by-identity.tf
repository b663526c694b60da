# Terraform >= 1.12: import by identity (the same values as the import ID).
import {
  to = ovhiplb_tcp_frontend.tls
  identity = {
    service_name = "loadbalancer-0123abcd"
    frontend_id  = 43
  }
}
