# Terraform >= 1.12: import by identity; leave `zone` out for a deploy of every zone.
import {
  to = ovhiplb_deploy_on_destroy.lb
  identity = {
    service_name = "loadbalancer-0123abcd"
  }
}
