output "load_balancer_ipv4" {
  description = "The load balancer's own IPv4 address."
  value       = data.ovhiplb_load_balancer.this.ipv4
}

output "failover_ips" {
  description = "Every failover IP routed to the load balancer."
  value       = data.ovhiplb_failover_ips.this.ips
}

output "frontends" {
  description = "Import IDs (service_name/frontend_id) of the frontends."
  value = {
    http = ovhiplb_http_frontend.web.id
    tcp  = ovhiplb_tcp_frontend.tls.id
    udp  = ovhiplb_udp_frontend.dns.id
  }
}

output "pending_changes" {
  description = "Changes not yet deployed, as read after the last refresh: 0 once everything is live."
  value       = ovhiplb_refresh.this.pending_changes
}
