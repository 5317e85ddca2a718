"""The one place that names where the course lives and which release its notebooks install;
``fork`` rewrites it and every notebook."""
from course_utils import __version__

REPOSITORY = "astro-dl-course/deep-learning-astronomy"  # GitHub owner/name
RELEASE = f"v{__version__}"  # the git tag Colab's install cell installs: tag each version as it is released
BRANCH = "main"  # what the Open-in-Colab badges open
NOTEBOOK_DIRS = ("lectures", "solutions")  # paired .py/.ipynb sources; labs/ is generated
LABS_DIR = "labs"
SOLUTIONS_DIR = "solutions"
