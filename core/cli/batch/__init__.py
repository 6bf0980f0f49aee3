"""`poselift batch`'s parts: the videos a batch's inputs name and their output names (`inputs`), what is known
of each and what is left to do (`manifest`), a worker that loads the networks once and lifts video after video
(`worker`), and the two ways to run workers: processes on this machine (`local_pool`) or a Ray cluster
(`ray_pool`)."""
