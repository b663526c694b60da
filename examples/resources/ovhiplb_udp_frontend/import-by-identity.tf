# Terraform >= 1.12: import by identity (the same values as the import ID).
import {
  to = ovhiplb_udp_frontend.dns
  identity = {
    service_name = "loadbalancer-0123abcd"
    frontend_id  = 44
  }
}
