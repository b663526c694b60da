# Terraform >= 1.14. Deploy now whatever is pending (made by this configuration, another one or the
# Control Panel), touching nothing else:
#   terraform apply -invoke=action.ovhiplb_deploy.now
action "ovhiplb_deploy" "now" {
  config {
    service_name = "loadbalancer-0123abcd"
  }
}

# Or deploy after a resource changes, without an ovhiplb_refresh:
resource "ovhiplb_http_frontend" "web" {
  service_name    = "loadbalancer-0123abcd"
  port            = "80"
  zone            = "all"
  default_farm_id = 11

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.ovhiplb_deploy.now]
    }
  }
}
