"""Planning: when each push fires, the rendered drafts, and one stored message per contact."""
