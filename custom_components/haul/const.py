"""Constants of the Haul integration."""

import logging

DOMAIN = "haul"
LOGGER = logging.getLogger(__package__)
