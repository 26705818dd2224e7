"""Tests of mmvsumm."""
