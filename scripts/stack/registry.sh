registry_up() { :; }
registry_down() { :; }
registry_status() { :; }
