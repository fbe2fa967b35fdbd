"""Differentiable ops, each defined once as a forward/backward pair over the backend API."""
