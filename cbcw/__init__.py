"""ChangeBreeze for ConnectWise: change management for MSPs."""
