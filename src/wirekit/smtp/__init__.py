"""SMTP: a sans-IO client and server core, SMTPClient/AsyncSMTPClient, the SMTPServer mail sink, stores and inbox."""
