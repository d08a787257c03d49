# placeholder
ALL_OUTPUTS = expand(wf.PARAMETRIC_SET, sigma=SIGMAS, realisation=REALISATIONS) + [wf.REALISTIC_SET]
