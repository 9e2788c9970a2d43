"""The dashboard at `/` (PRODUCT §2.10): what awaits me, what is coming, and how changes go."""
