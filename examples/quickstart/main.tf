# One load balancer, three failover IPs routed to it, an HTTP, a TCP and a UDP frontend, and the
# "Apply configuration" step, all deployed by a single `terraform apply`; `terraform destroy` deploys
# their removal the same way.

# Deploys the load balancer's configuration when destroyed. The frontends and the refresh take their
# service_name from it, so Terraform destroys it after them: `terraform destroy` deletes the
# frontends, then deploys their deletion once. (Where OVH refuses that deploy, e.g. because no
# frontend is left on the load balancer, the destroy still succeeds with a warning saying so.)
resource "ovhiplb_deploy_on_destroy" "this" {
  service_name = var.service_name
}

# Route the failover IPs to the load balancer (POST /ip/{ip}/move, waiting for the IP task). An IP
# already routed there is adopted without a move; destroying an attachment parks the IP.
resource "ovhiplb_failover_ip_attachment" "this" {
  for_each = {
    shared = var.failover_ip
    http   = var.http_failover_ip
    tcp    = var.tcp_failover_ip
  }

  service_name = var.service_name
  ip           = each.value
}

# Plain HTTP on port 80, answering only on its dedicated failover IP. Referencing the attachment
# orders the frontend after the move (OVH refuses a dedicated IP that is not routed to the LB).
resource "ovhiplb_http_frontend" "web" {
  service_name    = ovhiplb_deploy_on_destroy.this.service_name
  display_name    = "web"
  port            = "80"
  zone            = var.zone
  dedicated_ipfo  = [ovhiplb_failover_ip_attachment.this["http"].ip]
  default_farm_id = var.http_farm_id
}

# TLS passthrough on port 443, on its own dedicated failover IP.
resource "ovhiplb_tcp_frontend" "tls" {
  service_name    = ovhiplb_deploy_on_destroy.this.service_name
  display_name    = "tls"
  port            = "443"
  zone            = var.zone
  dedicated_ipfo  = [ovhiplb_failover_ip_attachment.this["tcp"].ip]
  default_farm_id = var.tcp_farm_id
}

# DNS over UDP, listening on every IP of the load balancer (no dedicated failover IP).
resource "ovhiplb_udp_frontend" "dns" {
  service_name    = ovhiplb_deploy_on_destroy.this.service_name
  display_name    = "dns"
  port            = "53"
  zone            = var.zone
  default_farm_id = var.udp_farm_id
}

# Deploys the configuration ("Apply configuration", POST /ipLoadbalancing/{sn}/refresh), once per
# apply, after everything above:
# - depends_on orders it after every create and update of the resources it lists;
# - triggers re-deploy whenever one of them changes: a changed frontend changes its digest here,
#   so the plan shows this resource updated, and the update runs after the frontend's.
# Changes made outside Terraform (pending changes in the API) also show up in `terraform plan` as
# an update of this resource, and the next apply deploys them.
resource "ovhiplb_refresh" "this" {
  service_name = ovhiplb_deploy_on_destroy.this.service_name

  triggers = {
    failover_ips = join(",", sort([for a in ovhiplb_failover_ip_attachment.this : a.id]))
    frontends = sha1(jsonencode([
      ovhiplb_http_frontend.web,
      ovhiplb_tcp_frontend.tls,
      ovhiplb_udp_frontend.dns,
    ]))
  }

  depends_on = [
    ovhiplb_failover_ip_attachment.this,
    ovhiplb_http_frontend.web,
    ovhiplb_tcp_frontend.tls,
    ovhiplb_udp_frontend.dns,
  ]
}

# What the load balancer looks like: read at plan time, or after the attachments when they change.
data "ovhiplb_load_balancer" "this" {
  service_name = var.service_name
}

data "ovhiplb_failover_ips" "this" {
  service_name = var.service_name

  depends_on = [ovhiplb_failover_ip_attachment.this]
}
