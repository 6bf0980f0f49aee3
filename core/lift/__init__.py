"""2D -> 3D. Takes people's 2D joints (and the network's belief maps); gives 3D poses in metres, Z up.

The probabilistic 3D pose model of "Lifting from the Deep" (a mixture of PPCA), its batched upright fit, the
priors it loads, and the seed's loop that fuses the fitted pose with the belief maps stage after stage. The seed:
Tome, Russell & Agapito, "Lifting from the Deep: Convolutional 3D Pose Estimation from a Single Image", CVPR 2017
(arXiv:1701.00295).
"""
