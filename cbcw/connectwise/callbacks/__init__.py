"""ConnectWise callbacks (PRODUCT §3.11): registered on save, verified before belief, acted on in
the background. See docs/connectwise-callbacks.md."""
