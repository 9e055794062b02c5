"""Tests for the assessment domain."""
