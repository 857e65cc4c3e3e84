"""What is a problem (one list for the status page, the API and the alerts), and notifications of them
through Apprise when a problem appears and clears, plus an optional daily summary."""
