"""Leadership outputs: one-page briefs and city PDFs (briefs), the reports index (index) and HTML pages such as the
methodology page (pages). Every text written into HTML is escaped; every file name built from a unit name is
sanitized so it stays inside its output folder."""
