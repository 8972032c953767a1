"""The notifications consumer (docs/design.md, "Notifications"): events -> notifications
(`consumer`), the clock's reminders (`reminders`), and the sending of deliveries
(`dispatcher`) through the channels (`email`, `sms`)."""
