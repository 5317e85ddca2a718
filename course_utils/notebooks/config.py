"""The one place that names where the course lives; ``fork`` rewrites it and every notebook."""

REPOSITORY = "astro-dl-course/deep-learning-astronomy"  # GitHub owner/name
BRANCH = "main"
NOTEBOOK_DIRS = ("lectures", "solutions")  # paired .py/.ipynb sources; labs/ is generated
LABS_DIR = "labs"
SOLUTIONS_DIR = "solutions"
