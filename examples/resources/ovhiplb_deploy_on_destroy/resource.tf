# Deploys the load balancer's configuration when destroyed. The frontends and the refresh take their
# service_name from it, so Terraform destroys it after them: `terraform destroy` deletes the frontends,
# then deploys their deletion once.
resource "ovhiplb_deploy_on_destroy" "lb" {
  service_name = "loadbalancer-0123abcd"
}

resource "ovhiplb_http_frontend" "web" {
  service_name    = ovhiplb_deploy_on_destroy.lb.service_name
  port            = "80"
  zone            = "all"
  default_farm_id = 11
}

# Deploys on create and update, after the frontend (see ovhiplb_refresh).
resource "ovhiplb_refresh" "deploy" {
  service_name = ovhiplb_deploy_on_destroy.lb.service_name
  triggers     = { web = sha1(jsonencode(ovhiplb_http_frontend.web)) }
  depends_on   = [ovhiplb_http_frontend.web]
}
