# Terraform >= 1.12: import by identity (the same values as the import ID).
import {
  to = ovhiplb_failover_ip_attachment.public
  identity = {
    service_name = "loadbalancer-0123abcd"
    ip           = "203.0.113.7/32"
  }
}
