"""The backup drill: the rendered backup and restore CronJobs, run against real servers here."""
