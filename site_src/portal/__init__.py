"""Community portal: content pipeline (load → validate → render) and its MkDocs adapter."""
