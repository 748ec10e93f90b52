"""SQL of the admin service; the routes in `routes/` hold HTTP only."""
