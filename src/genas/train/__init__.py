"""genas.train"""
