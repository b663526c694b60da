# Terraform >= 1.12: import by identity (the same values as the import ID).
import {
  to = ovhiplb_http_frontend.web
  identity = {
    service_name = "loadbalancer-0123abcd"
    frontend_id  = 42
  }
}
