"""Present: charts, HTML pages, briefs, the workbook and the review loop, all in Chinese."""
