"""HTML pages: the index, notebook-page rendering, shared page shell and tables."""
