"""The simulated source: realistic Agno sessions of every shape, made on the fly."""

from repositories.simulated.repository import SimulatedSessionRepository

__all__ = ["SimulatedSessionRepository"]
