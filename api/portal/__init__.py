"""The portal: pages for citizens, auditors and analysts, built on the JSON API."""
