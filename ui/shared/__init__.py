"""What every page shares: the sidebar filters kept in the URL, cached calls into ``cx``, tables, links
between pages, the scope wording, the error boundary, and the banner and footer the router draws."""
