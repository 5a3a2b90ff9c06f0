"""Reading a repository as the job does (services/reading.read_window): when the source
asks (ReadAgain), what it gave is dropped and the window is read again."""

from interfaces.errors import ReadAgain


def read_all(repository, window):
    try:
        return list(repository.documents(window))
    except ReadAgain:
        return list(repository.documents(window))
