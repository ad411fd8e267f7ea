"""The read side of the two hot list pages: projects, and a project's episodes."""
