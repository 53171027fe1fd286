"""Running asn-monitor: building components from the configuration, the pipeline, jobs."""
