"""Course helpers that students may use but need not read (the handouts say so).

    course.datasets   the offline data sets (re-exported from the `data` package)
    course.train      `TrainConfig`, `train` (an Adam loop with a progress bar), `tensor_loader`
    course.metrics    the Fréchet distance (week 1's recipe) of Gaussians and of feature sets; in the
                      student bundles from week 2 on (it answers week 1's `frechet_distance`)
    course.plotting   image grids, 2-D density heat maps, scatter plots, pmf against histogram
    course.testing    the pytest plugin of the public tests

Import the submodule you need (`from course.plotting import image_grid`): importing `course`
alone loads nothing heavy.
"""
