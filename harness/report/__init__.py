"""Views of verdict.json only: Markdown, HTML, JUnit, the CI step summary and the console."""
