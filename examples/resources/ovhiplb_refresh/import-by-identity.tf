# Terraform >= 1.12: import by identity; leave `zone` out for a refresh of every zone.
import {
  to = ovhiplb_refresh.gra
  identity = {
    service_name = "loadbalancer-0123abcd"
    zone         = "gra"
  }
}
