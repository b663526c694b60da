# The ID is service_name, or service_name/zone for a deploy of one zone.
terraform import ovhiplb_deploy_on_destroy.lb loadbalancer-0123abcd
