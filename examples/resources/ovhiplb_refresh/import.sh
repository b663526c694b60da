# The ID is service_name, or service_name/zone for a refresh of one zone.
terraform import ovhiplb_refresh.this loadbalancer-0123abcd
terraform import ovhiplb_refresh.gra loadbalancer-0123abcd/gra
