"""One adapter per network, behind the `Platform` port in `base`."""
